/* schema.h - the names of the records' schemas (schemas/, DESIGN §2): what
 * every record carries in its "schema" field, written and checked from
 * here only. A new version is a new name (schemas/README.md). */
#ifndef DLP_SCHEMA_H
#define DLP_SCHEMA_H

#define DLP_SCHEMA_EVENT      "dlp.event/1"
#define DLP_SCHEMA_INSPECTION "dlp.inspection/1"
#define DLP_SCHEMA_ALERT      "dlp.alert/1"
#define DLP_SCHEMA_DEADLETTER "dlp.deadletter/1"
#define DLP_SCHEMA_ACTION     "dlp.action/1"

#endif
