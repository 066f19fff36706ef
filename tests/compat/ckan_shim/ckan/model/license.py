class LicenseRegister:
    """No licences known: ckanext-dcat then keeps the licence URI as it finds it."""

    def __init__(self):
        self.licenses = []

    def values(self):
        return []

    def keys(self):
        return []

    def items(self):
        return []

    def __iter__(self):
        return iter([])
