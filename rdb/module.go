package rdb

import "fmt"

// Module values (type 7) and module aux data (opcode 247) are opaque to
// anyone but the module, but module.c writes them as a sequence of
// opcode-tagged fields ended by an EOF opcode, so they can be skipped and
// kept raw without the module.

// skipModuleValue skips a module2 value: the module id, then the fields.
func (r *Reader) skipModuleValue() error {
	if _, err := r.readCount("module id"); err != nil {
		return err
	}
	return r.skipModuleFields()
}

// skipModuleFields skips opcode-tagged fields up to and including the
// EOF opcode.
func (r *Reader) skipModuleFields() error {
	for {
		op, err := r.readCount("module field opcode")
		if err != nil {
			return err
		}
		switch op {
		case ModuleOpEOF:
			return nil
		case ModuleOpSInt, ModuleOpUInt:
			if _, err := r.readCount("module integer"); err != nil {
				return err
			}
		case ModuleOpFloat:
			if err := r.skip(4); err != nil {
				return err
			}
		case ModuleOpDouble:
			if err := r.skip(8); err != nil {
				return err
			}
		case ModuleOpString:
			if err := r.skipString("module string"); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: unknown module field opcode %d", ErrCorrupt, op)
		}
	}
}

// readModuleAux reads opcode 247: module id, the "when" field (a UINT
// opcode and its value), then the module's fields.
func (r *Reader) readModuleAux(start int64) (Record, error) {
	id, err := r.readCount("module id")
	if err != nil {
		return nil, err
	}
	whenOp, err := r.readCount("module aux when opcode")
	if err != nil {
		return nil, err
	}
	if whenOp != ModuleOpUInt {
		return nil, fmt.Errorf("%w: module aux for %s: when opcode %d (want %d)", ErrCorrupt, moduleName(id), whenOp, ModuleOpUInt)
	}
	if _, err := r.readCount("module aux when"); err != nil {
		return nil, err
	}
	if err := r.skipModuleFields(); err != nil {
		return nil, fmt.Errorf("module aux for %s: %w", moduleName(id), err)
	}
	blk := r.endCapture()
	return &ModuleAux{pos: pos{start}, ModuleID: id, Raw: blk[1:]}, nil
}
