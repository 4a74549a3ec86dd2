"""Bot features, one module each; every module here is loaded at startup (see bot.client.extension_names)."""
