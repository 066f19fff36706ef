from ckantoolkit import *  # noqa: F401,F403
from ckantoolkit import _  # noqa: F401
