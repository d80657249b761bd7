# docker-compose normalization sources, added to the reconcile library
# (pure like the rest of it: no I/O). See docs/compose.md.
target_sources(reconcile PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/values.cpp
  ${CMAKE_CURRENT_LIST_DIR}/options.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ports.cpp
  ${CMAKE_CURRENT_LIST_DIR}/volumes.cpp
  ${CMAKE_CURRENT_LIST_DIR}/environment.cpp
  ${CMAKE_CURRENT_LIST_DIR}/features.cpp
  ${CMAKE_CURRENT_LIST_DIR}/service_normalize.cpp
  ${CMAKE_CURRENT_LIST_DIR}/service_to_engine.cpp
  ${CMAKE_CURRENT_LIST_DIR}/service_from_engine.cpp
  ${CMAKE_CURRENT_LIST_DIR}/network.cpp
  ${CMAKE_CURRENT_LIST_DIR}/volume.cpp
  ${CMAKE_CURRENT_LIST_DIR}/equality.cpp
)
