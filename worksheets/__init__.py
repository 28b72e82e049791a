"""The reconciliation guide as data: stages and worksheet templates."""
