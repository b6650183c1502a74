// glibc declarations Swift's Glibc module leaves out (mallopt).
#include <malloc.h>
