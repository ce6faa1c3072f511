"""Iconic: customer-experience strategy analytics over a validated Delta warehouse.

The library is UI-free. Pages, notebooks, the PDF brief and the ``iconic`` command all call the same
public functions here.
"""

__version__ = "0.1.0"
