"""Casebook's PDFs: handouts, records and batches, drawn with reportlab."""

from reportlab import rl_config

# reportlab checks every attribute set on a chart shape: a help while writing chart code that
# costs a progress report about 15 % of its time. Set here, before any module of this package
# imports reportlab's graphics: shapes.py reads the setting when it is first imported.
rl_config.shapeChecking = 0
