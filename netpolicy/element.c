#include "netpolicy/element.h"

#include <stdio.h>

#include "base/names.h"
#include "base/service.h"
#include "netpolicy/templates.h"

const char *element_table_name(enum element_table table)
{
	return table == ELEMENT_BRIDGE ? NETPOLICY_TABLE_BRIDGE : NETPOLICY_TABLE_INET;
}

static void value_text(struct strbuf *sb, const struct element_value *v)
{
	char text[JN_ADDR_STRLEN];

	switch (v->kind) {
	case ELEMENT_IFNAME:
		strbuf_printf(sb, "\"%s\"", v->ifname);
		break;
	case ELEMENT_ADDR:
		strbuf_append(sb, addr_format(&v->prefix.addr, text));
		break;
	case ELEMENT_PREFIX:
		strbuf_append(sb, prefix_format(&v->prefix, text));
		break;
	case ELEMENT_ETHER:
		names_format_mac(v->ether, text);
		strbuf_append(sb, text);
		break;
	case ELEMENT_PROTO:
		strbuf_append(sb, service_proto_name(v->number));
		break;
	case ELEMENT_PORT:
		strbuf_printf(sb, "%u", v->number);
		break;
	case ELEMENT_NUMBER128:
		strbuf_append(sb, "0x");
		for (int i = 0; i < 16; i++)
			strbuf_printf(sb, "%02x", v->prefix.addr.bytes[i]);
		break;
	case ELEMENT_NUMBER48:
		strbuf_append(sb, "0x");
		for (int i = 0; i < 6; i++)
			strbuf_printf(sb, "%02x", v->ether[i]);
		break;
	}
}

static void values_text(struct strbuf *sb, const struct element_value *values, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (i > 0)
			strbuf_append(sb, " . ");
		value_text(sb, &values[i]);
	}
}

/* "<verb> element <table> <set> { <key>[ comment "..."][ : <data>] }" */
static void command(struct strbuf *sb, const char *verb, const struct element *e, bool comment, bool data)
{
	strbuf_printf(sb, "%s element %s %s { ", verb, element_table_name(e->table), e->set);
	values_text(sb, e->key, e->key_count);
	if (comment)
		strbuf_printf(sb, " comment \"%s\"", e->comment);
	if (data && e->data_count > 0) {
		strbuf_append(sb, " : ");
		values_text(sb, e->data, e->data_count);
	}
	strbuf_append(sb, " }\n");
}

void element_text(struct strbuf *sb, enum render_op op, const struct element *e)
{
	switch (op) {
	case RENDER_ADD:
		command(sb, "add", e, true, true);
		break;
	case RENDER_DELETE:
		command(sb, "add", e, false, true);
		command(sb, "delete", e, false, false);
		break;
	case RENDER_GET:
		command(sb, "get", e, false, false);
		break;
	}
}
