"""Just enough of CKAN's toolkit for ckanext-dcat's RDF parser to run outside CKAN."""
config = {"ckan.site_url": "http://harvester.invalid", "ckan.locale_default": "vi"}


def asbool(v):
    return str(v).strip().lower() in ("true", "yes", "on", "1")


def aslist(v, sep=None):
    if isinstance(v, (list, tuple)):
        return list(v)
    return [] if v is None else str(v).split(sep)


class ObjectNotFound(Exception):
    pass


class NotAuthorized(Exception):
    pass


class ValidationError(Exception):
    pass


def get_action(name):
    # CKAN raises KeyError for an action no plugin provides (ckanext-scheming here).
    raise KeyError(name)


def url_for(*args, **kwargs):
    return config["ckan.site_url"]


def abort(*args, **kwargs):
    raise RuntimeError("abort")


def _(s):
    return s


class _Helpers:
    def __getattr__(self, name):
        raise AttributeError(name)


h = _Helpers()
request = None


class _Missing:
    pass


missing = _Missing()


class StopOnError(Exception):
    pass


class Invalid(Exception):
    pass
