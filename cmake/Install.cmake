# Installs libreconcile as a CMake package:
#   find_package(reconcile) -> reconcile::reconcile
#   find_package(reconcile COMPONENTS testing) -> also reconcile::testing,
#     the property harness (needs RapidCheck; docs/properties.md)
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

# The harness has its own export set, so that a consumer of the planner alone
# never needs RapidCheck.
if(TARGET reconcile_testing)
  install(TARGETS reconcile_testing EXPORT reconcileTestingTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(DIRECTORY libreconcile/testing/include/reconcile/testing
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/reconcile)
  install(EXPORT reconcileTestingTargets NAMESPACE reconcile::
    DESTINATION ${RECONCILE_CMAKE_DIR})
endif()
configure_package_config_file(cmake/reconcileConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/reconcileConfig.cmake
  INSTALL_DESTINATION ${RECONCILE_CMAKE_DIR})
write_basic_package_version_file(
  ${CMAKE_CURRENT_BINARY_DIR}/reconcileConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/reconcileConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/reconcileConfigVersion.cmake
  DESTINATION ${RECONCILE_CMAKE_DIR})
