import ckantoolkit as toolkit  # noqa: F401


class Interface:
    pass


def PluginImplementations(interface):
    return []


def implements(*args, **kwargs):
    pass


class SingletonPlugin:
    pass
