def resource_formats():
    return {}
