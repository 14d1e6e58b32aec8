/* jobnet's own version, printed by jobnetctl version and in logs. */
#ifndef JOBNET_VERSION_H
#define JOBNET_VERSION_H

#ifndef JOBNET_VERSION
#define JOBNET_VERSION "0.1.0"
#endif

#endif
