# Installs libreconcile as a CMake package:
#   find_package(reconcile) -> reconcile::reconcile
include(CMakePackageConfigHelpers)

install(TARGETS reconcile EXPORT reconcileTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY libreconcile/include/reconcile
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(RECONCILE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/reconcile)
install(EXPORT reconcileTargets NAMESPACE reconcile::
  DESTINATION ${RECONCILE_CMAKE_DIR})
configure_package_config_file(cmake/reconcileConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/reconcileConfig.cmake
  INSTALL_DESTINATION ${RECONCILE_CMAKE_DIR})
write_basic_package_version_file(
  ${CMAKE_CURRENT_BINARY_DIR}/reconcileConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/reconcileConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/reconcileConfigVersion.cmake
  DESTINATION ${RECONCILE_CMAKE_DIR})
