"""Training in the app: the worker thread, its controller, the hyperparameter panel and
the one call that installs them in the main window (:func:`install_training`)."""
