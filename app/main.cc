#include <cstdio>
int main() { std::puts("switchboard"); return 0; }
