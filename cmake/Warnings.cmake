# Strict warnings for our own targets only; third-party headers are included as SYSTEM.
function(switchboard_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-missing-field-initializers)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # GCC 12 at -O3 reports -Wrestrict inside libstdc++'s own std::string code for ordinary
    # concatenations (GCC bug 105329, fixed in 13): a false positive we cannot fix in our code.
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
endfunction()
