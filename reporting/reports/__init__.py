"""Every report the service offers. Importing this package registers them."""
