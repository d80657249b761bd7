// A library that does I/O, to show tests/check_no_io.cmake catches it.
#include <cstdio>
#include <fstream>
#include <string>

std::string io_canary_read(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  if (std::FILE* file = std::fopen(path, "r")) std::fclose(file);
  return line;
}
