"""Pretrained models the learned and faces detectors run: feature backbones (spectral, ONNX),
the BlazeFace face finder, and the catalogue of models ``deepscreen models fetch`` installs."""
