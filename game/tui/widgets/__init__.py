"""The console's widgets: radio log, orders, roster, sector map and status line."""
