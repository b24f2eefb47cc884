"""The local AWS emulator: moto server plus what moto lacks for studio-restore.

`python -m studio_emulator` runs it; README.md (one directory up) describes what is emulated.
"""
