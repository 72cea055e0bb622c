"""Policy bundles shipped with deepscreen (data files; ``default/`` is the default bundle)."""
