"""Casebook: the records of a reconciliation-counselling practice."""
