"""Ozone forecast engine: daily max 8-h O3 (MDA8) of a city or station, leads 1..10 days.

Modules: ``io`` (readers), ``features`` (MDA8 per HJ 663 and features), ``baselines``
(persistence, climatology, blend), ``models`` (LightGBM with grade probabilities),
``verification`` (scores), ``backtest`` (rolling-origin backtest and live issue).
"""

from coact.engines.forecast.backtest import issue_forecast, run_backtest
from coact.engines.forecast.io import ForecastInputError, HourlyHistory, read_cnemc, read_prsa

__all__ = [
    "ForecastInputError",
    "HourlyHistory",
    "issue_forecast",
    "read_cnemc",
    "read_prsa",
    "run_backtest",
]
