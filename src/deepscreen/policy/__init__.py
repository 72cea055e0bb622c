"""Policy-as-code: bundles of YAML rules with CEL conditions, evaluated purely."""
