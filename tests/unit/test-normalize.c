#include "tap.h"

TEST(placeholder_builds)
{
        ASSERT(1 + 1 == 2);
}
