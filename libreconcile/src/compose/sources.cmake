# docker-compose normalization sources, added to the reconcile library.
# (none yet)
