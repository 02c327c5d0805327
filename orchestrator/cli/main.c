#include "cli.h"

int main(int argc, char **argv)
{
        return cc_cli_main(argc, argv);
}
