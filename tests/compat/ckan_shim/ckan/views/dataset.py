def read(*args, **kwargs):
    return ""


class CreateView:
    pass
