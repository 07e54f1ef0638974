"""An employee-motivation store on the Quadra partner API (see README.md)."""
