# Writes OUT, a C file defining `const unsigned char NAME[]`, the bytes of
# the file IN followed by a NUL that is not counted, and
# `const size_t NAME_len`, the size of IN. Run with cmake -P:
#
#   cmake -DIN=http-bridge/assets/docs.html -DOUT=asset_docs_html.c
#         -DNAME=asset_docs_html -P cmake/embed.cmake
foreach(var IN ITEMS IN OUT NAME)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "embed.cmake: -D${var}= is required")
  endif()
endforeach()
if(NOT NAME MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
  message(FATAL_ERROR "embed.cmake: NAME '${NAME}' is not a C identifier")
endif()

file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" digits)
math(EXPR size "${digits} / 2")
# 0xNN, per byte, then a line break after every 16 bytes.
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REPEAT "0x[0-9a-f][0-9a-f]," 16 line)
string(REGEX REPLACE "(${line})" "\\1\n\t" bytes "${bytes}")
get_filename_component(base "${IN}" NAME)

file(WRITE "${OUT}.tmp"
  "/* Generated from ${base} by cmake/embed.cmake: do not edit. */\n"
  "#include <stddef.h>\n"
  "\n"
  "extern const unsigned char ${NAME}[];\n"
  "extern const size_t ${NAME}_len;\n"
  "\n"
  "const unsigned char ${NAME}[] = {\n"
  "\t${bytes}0x00\n"
  "};\n"
  "const size_t ${NAME}_len = ${size};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
