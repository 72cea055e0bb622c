"""Scale-out: batch engines (local process pool, Ray), manifests, and the streaming worker."""
