"""A trained model on disk: the run record (config.json), the fit configuration, the shipped presets, loading.

``runs.presets`` names the shipped models and their folders; ``runs.model_io`` loads any of them (the
registry never imports the loader); ``runs.runrecord`` is the one reader of ``config.json``.
"""
