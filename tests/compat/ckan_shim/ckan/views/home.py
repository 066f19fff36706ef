def index():
    return ""
