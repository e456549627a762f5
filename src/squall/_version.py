__version__ = "0.1.0"

#: the chaostoolkit-lib version whose journal format and behaviour squall follows: the
#: journals' ``chaoslib-version``, discovery documents' ``chaoslib_version``, the stand-in's
#: ``chaoslib.__version__`` (marked ``+squall-compat``)
CHAOSLIB_VERSION = "1.45.1"
