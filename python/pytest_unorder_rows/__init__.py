"""pytest plugin for the unorder_rows PostgreSQL extension.

``pytest --unorder-rows`` switches the extension on for every connection the tests open,
reports per failing test the statements whose row order was perturbed, and can confirm,
label and baseline the failures.  See README.md.
"""

__version__ = "0.2.0"
