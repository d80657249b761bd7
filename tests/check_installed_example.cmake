# Installs the package into WORK_DIR/prefix and builds examples/EXAMPLE
# against it with find_package(reconcile), as another project would. With
# RUN set, runs WORK_DIR/build/RUN and requires exit 0 and output matching
# EXPECT.
file(REMOVE_RECURSE ${WORK_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "install failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/${EXAMPLE} -B ${WORK_DIR}/build
  -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring examples/${EXAMPLE} failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/build RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building examples/${EXAMPLE} failed")
endif()
if(DEFINED RUN)
  execute_process(COMMAND ${WORK_DIR}/build/${RUN} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT out MATCHES "${EXPECT}")
    message(FATAL_ERROR "${RUN} exited ${rc} or its output does not match '${EXPECT}':\n${out}")
  endif()
  message(STATUS "${RUN} output:\n${out}")
endif()
