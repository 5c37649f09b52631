"""After-action reports and improvement plans (HSEEP AAR/IP), and the council's corrective actions."""
