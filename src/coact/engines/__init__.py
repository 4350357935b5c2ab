"""Pure computation engines: numpy/pandas/scipy only, no Django, no CoAct apps.

Each function names its units and the standard (with edition) it implements.
"""
