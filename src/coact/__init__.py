"""CoAct: a city's platform for the synergistic reduction of pollution and carbon emissions."""

__version__ = "0.1.0"
