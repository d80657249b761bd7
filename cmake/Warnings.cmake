# reconcile_warnings(<target>): the project's own warning set, applied to our
# targets only (never exported to consumers).
function(reconcile_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
    -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
    -Wconversion -Wsign-conversion -Wimplicit-fallthrough)
  if(RECONCILE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
