"""voiceclf — tell a live (bona fide) human voice from a spoofed one.

The package is plain Python (no Streamlit). Data flows in one direction::

    file/bytes -> audio.load_audio -> Clip -> features.extract -> vector
    datasets.from_* -> table -> features.extract_dataset -> FeatureSet
        -> model.split -> model.train -> model.evaluate -> Evaluation -> plots.*
"""

from .errors import AudioError, DatasetError, ModelError, VoiceclfError

__version__ = "0.1.0"

__all__ = ["AudioError", "DatasetError", "ModelError", "VoiceclfError", "__version__"]
