"""The app's screens: title, console, dossier, saves, settings, help, glossary, ending."""
