"""Policy-as-code: bundles of YAML rules with CEL conditions, read strictly (``model``, ``bundle``,
``strict_yaml``) and evaluated purely (``evaluate``, ``explain``); policy tests (``testing``) and
the bundles shipped in the package (``shipped``). Notes: docs/internals/policy.md."""
