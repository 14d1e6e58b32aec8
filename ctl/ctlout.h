/* jobnetctl's output filter (see ctlout.c). */
#ifndef JOBNET_CTLOUT_H
#define JOBNET_CTLOUT_H

/* Replace stdout and stderr with streams that escape every byte outside
 * printable ASCII, newline and tab. Call first in main. */
void ctlout_install(void);

#endif
