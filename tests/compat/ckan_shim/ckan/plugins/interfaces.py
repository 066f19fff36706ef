from ckan.plugins import Interface  # noqa: F401
