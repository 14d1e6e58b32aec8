/* The nftables templates, embedded so the plugin is one self-contained
 * binary. Each is NUL-terminated; see templates.h. */
	.section .rodata
	.global netpolicy_template_inet
	.type netpolicy_template_inet, @object
netpolicy_template_inet:
	.incbin "nft-templates/jobnet-inet.nft"
	.byte 0
	.size netpolicy_template_inet, . - netpolicy_template_inet

	.global netpolicy_template_bridge
	.type netpolicy_template_bridge, @object
netpolicy_template_bridge:
	.incbin "nft-templates/jobnet-bridge.nft"
	.byte 0
	.size netpolicy_template_bridge, . - netpolicy_template_bridge

	.section .note.GNU-stack, "", @progbits
