"""``python -m squall.demo``: the demo's command group on its own."""

from squall.demo.cli import demo

if __name__ == "__main__":
    demo(prog_name="python -m squall.demo")
