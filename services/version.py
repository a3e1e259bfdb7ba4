"""The application version, shown in --version and the About dialog."""

APP_VERSION = "0.1.0"
