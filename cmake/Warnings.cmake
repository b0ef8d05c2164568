# Strict warnings for our own targets only; third-party headers are included as SYSTEM.
function(switchboard_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-missing-field-initializers)
endfunction()
