import re


def munge_tag(tag):
    tag = tag.strip().lower()
    return re.sub(r"[^\w\-_. ]", "", tag, flags=re.UNICODE)
